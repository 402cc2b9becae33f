"""One file per face detector; each registers itself with ``facerep.curate.detect.register_detector``."""
