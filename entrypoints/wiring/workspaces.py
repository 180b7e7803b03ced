"""Workspaces: creating one (with its starter credits), listing, renaming, deleting."""

from __future__ import annotations

from dishka import Provider, Scope, provide, provide_all

from adapters.memory.workspaces import MemoryWorkspaceReader
from adapters.postgres.workspaces import PostgresWorkspaceReader
from application.workspace.create_workspace import CreateWorkspace, CreditPolicy
from application.workspace.delete_workspace import DeleteWorkspace
from application.workspace.get_workspace import GetWorkspace
from application.workspace.list_workspaces import ListWorkspaces
from application.workspace.rename_workspace import RenameWorkspace
from entrypoints.wiring.settings import Settings
from entrypoints.wiring.storage import provide_reader
from entrypoints.wiring.topology import Topology
from ports.workspaces import WorkspaceReader


class WorkspacesWiring(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(CreateWorkspace, ListWorkspaces, GetWorkspace, RenameWorkspace, DeleteWorkspace)

    def __init__(self, topology: Topology) -> None:
        super().__init__()
        provide_reader(self, topology, WorkspaceReader, memory=MemoryWorkspaceReader, postgres=PostgresWorkspaceReader)

    @provide(scope=Scope.APP)
    def credit_policy(self, settings: Settings) -> CreditPolicy:
        return CreditPolicy(starter_credits=settings.starter_credits)
