"""Video mechanics the render stage uses: Manim in a sandboxed subprocess, the renderer choice,
chapters joined into one video, posters, previews, storyboards and other formats."""
