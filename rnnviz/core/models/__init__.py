"""Recurrent models: single-step cell equations and the recurrent stacks built from them.

``cells`` holds one time step of each cell (every intermediate value kept, for
display); ``stacks`` runs those cells over a sequence, either through torch's
fused kernels or the book's scratch loops, with interchangeable parameters.
"""
