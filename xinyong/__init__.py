"""xinyong (信用): the public credit information platform of Jilin province."""

__version__ = "0.1.0"
