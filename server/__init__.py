"""Diemcau: the live companion that runs the floor of a hybrid multi-site meeting."""
