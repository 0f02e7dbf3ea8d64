"""One function per pipeline job; workflow/scripts call these with config values and paths."""
