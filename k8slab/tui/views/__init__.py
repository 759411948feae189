"""What the live panes show, computed from ClusterState and History as plain dataclasses.

Nothing here imports textual: these are pure functions a test can call on a hand-built state,
and the widgets only turn their rows into cells. Every row carries a `tone` (see `tones`) so
colour always means the same thing: green done, yellow waiting, red failed.
"""
