"""The system profile: one ML system described in facts."""

from failmodes.profile.loader import load_profile, profile_from_dict, stated_and_assumed
from failmodes.profile.schema import Profile

__all__ = ["Profile", "load_profile", "profile_from_dict", "stated_and_assumed"]
