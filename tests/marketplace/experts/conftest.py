"""The experts tests act in the booking `World` (an active, bookable expert on the Stripe
double): its fixtures are shared from the booking package's conftest."""

from tests.marketplace.booking.conftest import (  # noqa: F401
    _double_and_sink,
    browser,
    clock,
    double,
    gateway,
    sink,
    tasks,
    world,
)
