# the model's Markdown fence left in the file
# expect: step=syntax kind=syntax-error line=3 fixable=no
```python
from manim import *


class Demo(Scene):
    def construct(self):
        self.add(Circle())
```
