"""Pure parts of building and attaching an image: names, the buildspec, the attach plan, and
what Studio asks of a custom image. No boto3, no I/O."""
