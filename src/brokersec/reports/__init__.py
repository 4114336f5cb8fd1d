"""Renderers: plain data from the records in, report bytes (PDF, DOCX, XLSX, ZIP, JSON) out."""
