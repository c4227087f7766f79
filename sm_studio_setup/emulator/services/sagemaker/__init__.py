"""SageMaker Studio operations moto 5.2 lacks.

UpdateDomain, and Create/Describe/List/Delete for user profiles, spaces, images, image versions,
app image configs and Studio lifecycle configurations; moto's CreateDomain gets the model's checks
of DomainSettings (DockerSettings) and AppNetworkAccessType. Request members are checked against the
length, pattern and enum constraints of botocore's service model (boto3 checks only types and
required members), so a malformed name fails with ``ValidationException`` here as it does in
AWS. Responses are dicts that moto serialises against the same model, so boto3 parses them
exactly like AWS's.

State is kept on moto's own SageMaker backend object (one per account and region), so moto's
reset clears it along with the domains it refers to.

The package: ``validation.py`` (the model's constraints), ``models.py`` (the resources and
their state), ``domains.py`` (the domain, user profiles, spaces), ``images.py`` (images, their
versions, app image configs), ``lifecycle_configs.py`` (Studio lifecycle configurations, and
the check that what settings name exists), ``lifecycle.py`` (the asynchronous states:
CREATING, Updating, and their failures), ``apps.py`` (what Studio sends when it assumes the
execution role) and ``responses.py`` (one table of the operations).
"""

from __future__ import annotations

from moto.sagemaker.models import Domain, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from .domains import describe_domain_with_update_members, validated_create_domain
from .lifecycle import DEFAULT_STATE_SECONDS, FAILABLE, configure
from .responses import BACKEND, RESPONSES

__all__ = ["DEFAULT_STATE_SECONDS", "FAILABLE", "configure", "install"]

_INSTALLED_ATTR = "_sm_studio_setup_installed"


def install() -> None:
    """Register the operations on moto's SageMaker classes; safe to call repeatedly."""
    if getattr(SageMakerResponse, _INSTALLED_ATTR, False):
        return
    for name, method in RESPONSES.items():
        setattr(SageMakerResponse, name, method)
    for name, function in BACKEND.items():
        setattr(SageMakerModelBackend, name, function)
    Domain.describe = describe_domain_with_update_members(Domain.describe)  # type: ignore[method-assign]
    create_domain = validated_create_domain(SageMakerResponse.create_domain)
    SageMakerResponse.create_domain = create_domain  # type: ignore[method-assign]
    setattr(SageMakerResponse, _INSTALLED_ATTR, True)
