"""The Qt-free core: data, models, training, introspection and decoding.

Nothing under this package may import PySide6 or pyqtgraph; a test enforces it,
so that the CLI, the tests and a GPU machine without Qt run the same code.
"""
