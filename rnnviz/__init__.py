"""rnnviz: a visual explorer for the recurrent networks of *Dive into Deep Learning*."""

__version__ = "0.1.0"
