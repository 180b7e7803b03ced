"""A workspace's team: members, their roles, invitations."""

from __future__ import annotations

from dishka import Provider, Scope, provide_all

from adapters.memory.team import MemoryTeamReader
from adapters.postgres.team import PostgresTeamReader
from application.team.accept_invitation import AcceptInvitation
from application.team.change_member_role import ChangeMemberRole
from application.team.create_invitation import CreateInvitation
from application.team.list_invitations import ListInvitations
from application.team.list_members import ListMembers
from application.team.remove_member import RemoveMember
from application.team.revoke_invitation import RevokeInvitation
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.team import TeamReader


class TeamWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(
        ListMembers,
        ChangeMemberRole,
        RemoveMember,
        CreateInvitation,
        ListInvitations,
        RevokeInvitation,
        AcceptInvitation,
    )

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, TeamReader, memory=MemoryTeamReader, postgres=PostgresTeamReader)
