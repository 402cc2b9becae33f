"""One file per landmarker; each registers itself with ``facerep.curate.landmark.register_landmarker``."""
