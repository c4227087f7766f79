"""What a user asks the service for, checked against AWS's grammar as it enters.

Every surface (CLI, magic, REST, widgets) builds its request as one of these, so no value
reaches a policy, a script or a template without passing ``aws/grammar.py`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..aws import grammar
from ..errors import BadInput
from ..requirements.profiles import PROFILES

# A Dockerfile names a handful of base images; this many is already a mistake.
_MAX_BASE_IMAGES = 64


@dataclass(frozen=True)
class CheckOptions:
    """What the user asked for; everything else comes from discovery and sm-docker's defaults.

    Refused at construction (``BadInput`` naming the field) when a value is not what AWS
    would take: a role, repository, bucket, key, VPC, subnet or security group that is not
    exactly one real resource, or a profile or compute type that does not exist.
    """

    profile: str = "image-build"
    role: str | None = None
    repository: str | None = None
    bucket: str | None = None
    compute_type: str = "BUILD_GENERAL1_SMALL"
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    kms_key_arn: str | None = None
    base_images: tuple[str, ...] = ()
    no_logs: bool = False
    refresh: bool = False

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise BadInput(
                f"{grammar.shown(self.profile)} is not a workflow profile; known: "
                f"{', '.join(sorted(PROFILES))}.",
                field="profile",
            )
        if self.role is not None:
            grammar.check_role(self.role)
        if self.repository is not None:
            grammar.check_repository(self.repository)
        if self.bucket is not None:
            grammar.check_bucket(self.bucket)
        grammar.check_compute_type(self.compute_type)
        if self.vpc_id is not None:
            grammar.check_ec2_id("vpc_id", self.vpc_id)
        for subnet in self.subnet_ids:
            grammar.check_ec2_id("subnet_ids", subnet)
        for group in self.security_group_ids:
            grammar.check_ec2_id("security_group_ids", group)
        if self.kms_key_arn is not None:
            grammar.check_kms_key(self.kms_key_arn)
        for image in self.base_images:
            grammar.check_image(image)
        if len(self.base_images) > _MAX_BASE_IMAGES:
            raise BadInput(
                f"The Dockerfile names {len(self.base_images)} base images; at most "
                f"{_MAX_BASE_IMAGES} are taken.",
                field="base_images",
            )
