# shells out from inside construct
# expect: step=safety kind=forbidden-import line=8 fixable=no
from manim import *


class Demo(Scene):
    def construct(self):
        import subprocess
        out = subprocess.run(['date'], capture_output=True).stdout
        self.add(Text(str(out)))
