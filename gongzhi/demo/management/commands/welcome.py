"""Print where the app is served and one demo login per role (used by `make run`)."""

from django.core.management.base import BaseCommand

from gongzhi.accounts.choices import Role
from gongzhi.demo.loader import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the URL and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"共治 Gongzhi is starting at {url}"))
        self.stdout.write(f"Demo logins, all with password {DEMO_PASSWORD}:")
        self.stdout.write(f"  {'admin':<18} 系统管理员 (superuser)")
        for username, display, role, _node in DEMO_USERS:
            self.stdout.write(f"  {username:<18} {Role(role).label} · {display}")
        self.stdout.write("")
