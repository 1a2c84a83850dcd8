"""manage.py open311: the partners' API keys.

open311 create-key --name NAME [--street CODE] [--by USERNAME]
    prints the new key on its last line: the only time it is shown
open311 list-keys
open311 revoke-key PREFIX [--by USERNAME]
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.accounts.models import User
from gongzhi.open311 import services
from gongzhi.open311.models import ApiKey
from gongzhi.territory.models import Street


class Command(BaseCommand):
    help = "Manage Open311 API keys: create-key, list-keys, revoke-key."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create-key", help="Create a key; the key is printed on the last line, once.")
        create.add_argument("--name", required=True, help="The partner's name.")
        create.add_argument("--street", default="", help="Limit the key to one street (its 12-digit code).")
        create.add_argument("--by", default="", help="Username recorded as the creator (audit trail).")
        actions.add_parser("list-keys", help="List keys (prefix, partner, created, last used, revoked).")
        revoke = actions.add_parser("revoke-key", help="Revoke a key by its 8-character prefix.")
        revoke.add_argument("prefix")
        revoke.add_argument("--by", default="", help="Username recorded as the revoker (audit trail).")

    def _actor(self, username):
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        return user

    def handle(self, *args, **options):
        action = options["action"]
        if action == "create-key":
            self.create(options)
        elif action == "list-keys":
            self.list()
        else:
            self.revoke(options)

    def create(self, options):
        street = None
        if options["street"]:
            street = Street.objects.filter(code=options["street"]).first()
            if street is None:
                raise CommandError(f"No street with code {options['street']!r}.")
        try:
            key, raw = services.create_key(
                actor=self._actor(options["by"]), name=options["name"], street=street, now=timezone.now()
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        scope = f", limited to {street}" if street else ""
        self.stdout.write(f"Created Open311 key {key.key_prefix} for {key.name}{scope} (service account {key.user}).")
        self.stdout.write("Store it now: it is not kept and cannot be shown again.")
        self.stdout.write(raw)

    def list(self):
        keys = ApiKey.objects.select_related("street").order_by("created", "pk")
        if not keys:
            self.stdout.write("No keys.")
            return
        for key in keys:
            used = f"{timezone.localtime(key.last_used):%Y-%m-%d %H:%M}" if key.last_used else "never"
            state = f"revoked {timezone.localtime(key.revoked_at):%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            street = f"  street={key.street.code}" if key.street else ""
            created = f"{timezone.localtime(key.created):%Y-%m-%d %H:%M}"
            self.stdout.write(f"{key.key_prefix}  {key.name}  created {created}  last used {used}  {state}{street}")

    def revoke(self, options):
        key = ApiKey.objects.filter(key_prefix=options["prefix"]).first()
        if key is None:
            raise CommandError(f"No key with prefix {options['prefix']!r}.")
        try:
            services.revoke_key(key, actor=self._actor(options["by"]), now=timezone.now())
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Revoked {key.key_prefix} ({key.name}).")
