"""The submit-host side: one controller per trial slot, and the workflow's job entry points."""
