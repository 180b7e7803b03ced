"""Credits: balances, the ledger's history, grants, charges, and releasing reservations a stopped job left."""

from __future__ import annotations

from dishka import Provider, Scope, provide_all

from adapters.memory.credits import MemoryCreditReader
from adapters.postgres.credits import PostgresCreditReader
from application.credit.charge_credits import ChargeCredits
from application.credit.get_credit_balance import GetCreditBalance
from application.credit.grant_credits import GrantCredits
from application.credit.list_credit_transactions import ListCreditTransactions
from application.credit.release_stale_reservations import ReleaseStaleReservations
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.credits import CreditReader


class CreditsWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(
        GetCreditBalance, ListCreditTransactions, GrantCredits, ChargeCredits, ReleaseStaleReservations
    )

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, CreditReader, memory=MemoryCreditReader, postgres=PostgresCreditReader)
