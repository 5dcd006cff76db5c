"""Rules of the REST API's own parts: tokens and the API's additions to the page rules.

Every data operation of the API is guarded by the same rule as the page that shows the same
data (``services.<area>.rules``); only what has no page lives here.
"""

from __future__ import annotations

from steuerung.models import ApiToken, User
from steuerung.services.portfolio import rules as portfolio_rules

#: At most this many tokens (active or not yet deleted) per user: enough for every system
#: a person feeds, few enough to keep the list on the profile page readable.
MAX_TOKENS_PER_USER = 20


def may_hold_api_tokens(user: User) -> bool:
    """Every user may create tokens for themselves; a token can do what its user can."""
    return True


def may_revoke_token(user: User, token: ApiToken) -> bool:
    """A token is revoked by the user it belongs to."""
    return token.user_id == user.id


def sees_scores(user: User) -> bool:
    """Score and priority class of measures appear where the register shows them."""
    return portfolio_rules.may_read_register(user)
