"""Runs in the app: every training recorded, a run opened and scrubbed epoch by epoch, a run followed.

- ``recording``: the training thread's side of recording a job (``JobRecorder``).
- ``source``: an open run off the GUI thread: epochs, curves, cached epoch models, polling (``RunSource``).
- ``scrubber``: the run bar under the tabs: slider, spin box, Play, live (``ScrubberBar``).
- ``browser``: the runs list: open, rename, delete, recording on or off (``RunsBrowser``).
- ``window_runs``: the main window's glue: menus, store, Training tab, keys, sessions (``WindowRuns``).
"""
