"""trustwatch: watch public social-media content for harms defined in published criteria."""

__version__ = "0.1.0"
