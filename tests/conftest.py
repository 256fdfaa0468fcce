"""Session-wide: the hypothesis profiles ("ci" by default, `PAIDUI_HYPOTHESIS_PROFILE=long` for a long run)."""

from tests.strategies import register_profiles

register_profiles()
