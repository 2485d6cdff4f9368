"""Page cleanup and OCR.

``ocr.tesseract`` is the only module that runs Tesseract; ``ocr.cleanup`` holds the
OpenCV steps (each switched by ``settings.cleanup``); ``ocr.page`` cleans and reads a
whole page; ``ocr.measure`` compares cleanup with raw Tesseract (``faxflow ocr measure``,
results in ``docs/ocr.md``).
"""
