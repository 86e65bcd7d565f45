"""The schemas as others read them: JSON Schema for editors and tools, Markdown for the manual."""
