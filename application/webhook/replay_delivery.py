from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import authorize_in
from application.webhook.get_webhook import locked_webhook_or_404
from domain.kernel.errors import Conflict, NotFound
from domain.kernel.permissions import Action
from domain.webhooks.webhook import Delivery, DeliveryStatus
from ports.system import Clock
from ports.unit_of_work import UnitOfWork


@dataclass(slots=True, kw_only=True, frozen=True)
class ReplayDeliveryCommand:
    actor_id: UUID
    workspace_id: UUID
    webhook_id: UUID
    delivery_id: UUID


class ReplayDelivery:
    """Send a finished delivery again: same id, same body, a fresh retry window, due now.

    Rules: admin or owner; the webhook must be active (`Conflict` otherwise: enable it first); a pending delivery
    is already on its way (`Conflict`); dead-lettered, failed and succeeded ones can be replayed.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, cmd: ReplayDeliveryCommand) -> Delivery:
        async with self._uow as uow:
            await authorize_in(uow, cmd.workspace_id, cmd.actor_id, Action.WEBHOOKS_MANAGE)
            webhook = await locked_webhook_or_404(uow, cmd.workspace_id, cmd.webhook_id)
            delivery = await uow.deliveries.get_for_update(cmd.workspace_id, cmd.webhook_id, cmd.delivery_id)
            if delivery is None:
                raise NotFound("delivery not found")
            if not webhook.active:
                raise Conflict("the webhook is inactive: activate it before replaying its deliveries")
            if delivery.status is DeliveryStatus.PENDING:
                raise Conflict("the delivery is already pending")
            replayed = delivery.replayed(self._clock.now())
            await uow.deliveries.save(replayed)
            await uow.commit()
        return replayed
