"""WTForms classes, mirroring the views."""
