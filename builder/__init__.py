"""mathreel: concept specs in, a gallery of Manim animations with study notes out."""

__version__ = "0.1.0"
