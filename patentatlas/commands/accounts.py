"""``patentatlas users …`` (the first admin, invitations), ``patentatlas enterprises …`` and
``patentatlas demo-accounts``."""

from __future__ import annotations

import json
from typing import Any

import click

from patentatlas.commands import command_store

# The demo: an analyst for Zhejiang and the enterprise of the demo data with the most granted
# patents in force in Zhejiang. Its credit code is a made-up one that passes the GB 32100 check.
DEMO_PASSWORD = "patentatlas-demo"
DEMO_ADMIN = "admin@demo.patentatlas.cn"
DEMO_ANALYST = "analyst@zj.demo.patentatlas.cn"
DEMO_ENTERPRISE_USER = "ip@netease.demo.patentatlas.cn"
DEMO_ENTERPRISE = ("网易(杭州)网络有限公司", "91330108MA2CDEM1YA")


def _password(value: str | None) -> str:
    return value if value is not None else click.prompt("Password", hide_input=True, confirmation_prompt=True)


def register(main: click.Group) -> None:
    """Add ``users``, ``enterprises`` and ``demo-accounts`` to the ``patentatlas`` group."""

    @main.group()
    def users() -> None:
        """Accounts: create the first admin, invite users, list them."""

    @users.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "analyst", "enterprise"]), default="admin", show_default=True)
    @click.option("--region", help="An analyst's region code (e.g. 330000).")
    @click.option("--enterprise", "enterprise_id", type=int, help="An enterprise user's enterprise number.")
    @click.option("--password", help="The password (asked for when not given).")
    @click.pass_context
    def create(ctx: click.Context, email: str, role: str, region: str | None, enterprise_id: int | None,
               password: str | None) -> None:
        """Create a user with a password (the first admin is made this way)."""
        from patentatlas.domain.accounts import create_user

        user = create_user(command_store(ctx), email, role, password=_password(password), region_code=region,
                           enterprise_id=enterprise_id)
        click.echo(f"created {user.role} {user.email} (user {user.user_id})")

    @users.command("invite")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["admin", "analyst", "enterprise"]), required=True)
    @click.option("--region", help="An analyst's region code.")
    @click.option("--enterprise", "enterprise_id", type=int, help="An enterprise user's enterprise number.")
    @click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
    @click.pass_context
    def invite(ctx: click.Context, email: str, role: str, region: str | None, enterprise_id: int | None,
               base_url: str) -> None:
        """Invite a user: prints the one-time link that sets the password."""
        from patentatlas.domain.accounts import invite_user

        user, token = invite_user(command_store(ctx), email, role, by=None, region_code=region,
                                  enterprise_id=enterprise_id)
        click.echo(f"invited {user.role} {user.email}: {base_url.rstrip('/')}/invite/{token}")

    @users.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def list_(ctx: click.Context, as_json: bool) -> None:
        """The users."""
        from patentatlas.domain.accounts import list_users

        rows = list_users(command_store(ctx, read_only=True))
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            click.echo(f"{row['user_id']:>4}  {row['role']:<10} {row['email']:<40} "
                       f"{row['region_code'] or row['enterprise_id'] or ''}")

    @main.group()
    def enterprises() -> None:
        """Enterprises: register one by its unified social credit code, list them."""

    @enterprises.command("register")
    @click.argument("name")
    @click.argument("uscc")
    @click.option("--variant", "variants", multiple=True, help="Another name its patents carry (repeatable).")
    @click.option("--claim", is_flag=True, help="Take every proposed patent into custody at once.")
    @click.pass_context
    def register_enterprise(ctx: click.Context, name: str, uscc: str, variants: tuple[str, ...], claim: bool) -> None:
        """Register an enterprise (verified at once: the office registers it); prints its number and how many
        patents were proposed (or claimed)."""
        from patentatlas.domain import enterprises as ent
        from patentatlas.store import transaction

        conn = command_store(ctx)
        with transaction(conn):
            enterprise = ent.register_enterprise(conn, name, uscc, name_variants=variants)
            eid = enterprise["enterprise_id"]
            proposed = [p["application_number"] for p in ent.proposals(conn, eid)]
            if claim:
                ent.confirm_proposals(conn, eid, proposed)
        click.echo(f"enterprise {eid}: {enterprise['name']} ({enterprise['uscc']}, region "
                   f"{enterprise['region_code'] or 'unknown'}); {len(proposed)} patents "
                   + ("taken into custody" if claim else "proposed"))

    @enterprises.command("list")
    @click.pass_context
    def list_enterprises(ctx: click.Context) -> None:
        """The registered enterprises with their custody counts."""
        from patentatlas.domain.enterprises import list_enterprises as rows

        for row in rows(command_store(ctx, read_only=True)):
            click.echo(f"{row['enterprise_id']:>4}  {row['uscc']}  {row['status']:<8}  {row['custody']:>5}  "
                       f"{row['name']}")

    @main.command("demo-accounts")
    @click.pass_context
    def demo_accounts(ctx: click.Context) -> None:
        """Create the demo's admin, Zhejiang analyst and enterprise user, with the enterprise's patents in custody."""
        summary = seed_demo_accounts(command_store(ctx))
        click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        click.echo(f"  admin       {DEMO_ADMIN}")
        click.echo(f"  analyst     {DEMO_ANALYST}   (浙江省 330000)")
        click.echo(f"  enterprise  {DEMO_ENTERPRISE_USER}   ({DEMO_ENTERPRISE[0]}, "
                   f"{summary['custody']} patents in custody)")


def seed_demo_accounts(conn: Any) -> dict[str, Any]:
    """The demo's users, created once (running it again changes nothing)."""
    from patentatlas.domain import enterprises as ent
    from patentatlas.domain.accounts import create_user
    from patentatlas.store import scalar, transaction

    existing = scalar(conn, "SELECT enterprise_id FROM enterprises WHERE uscc = ?", [DEMO_ENTERPRISE[1]])
    if existing is not None:
        return {"enterprise_id": existing, "custody": len(ent.custody_patents(conn, existing))}
    with transaction(conn):
        create_user(conn, DEMO_ADMIN, "admin", password=DEMO_PASSWORD, display_name="演示管理员")
        create_user(conn, DEMO_ANALYST, "analyst", password=DEMO_PASSWORD, region_code="330000",
                    display_name="浙江省知识产权局（演示）")
        enterprise = ent.register_enterprise(conn, *DEMO_ENTERPRISE, name_variants=["网易（杭州）网络有限公司"])
        eid = enterprise["enterprise_id"]
        create_user(conn, DEMO_ENTERPRISE_USER, "enterprise", password=DEMO_PASSWORD, enterprise_id=eid,
                    display_name="网易知识产权部（演示）")
        proposed = [p["application_number"] for p in ent.proposals(conn, eid)]
        ent.confirm_proposals(conn, eid, proposed)
    return {"enterprise_id": eid, "custody": len(proposed)}
