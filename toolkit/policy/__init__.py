"""The policy material: waivers, severities and knobs (``policy/*.yaml``), read strictly."""
