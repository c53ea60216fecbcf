"""The built-in modules ``proof`` and ``asset``, and building modules from ``{id, version, config}``."""

from __future__ import annotations

from typing import Any

from ._context import RequestContext
from ._errors import ArgumentError, ConfigError, ModuleRejected
from ._modules import Module
from ._query import FIELD_NAME


class StreamFieldsModule(Module):
    """Records in ``config.stream`` must carry non-empty string payload fields ``config.requiredFields``;
    ``moduleFilters`` may test those fields (indexed: ``filter_fields``)."""

    default_stream = ""
    default_fields: tuple[str, ...] = ()

    def __init__(self, config: dict[str, Any] | None = None):
        super().__init__(config)
        unknown = set(self.config) - {"stream", "requiredFields", "required_fields"}
        if unknown:
            raise ConfigError(f"module {self.id!r}: unknown config key(s) {sorted(unknown)}")
        self.stream = self.config.get("stream", self.default_stream)
        if type(self.stream) is not str or not self.stream:
            raise ConfigError(f"module {self.id!r}: config.stream must be a non-empty string")
        fields = self.config.get("requiredFields", self.config.get("required_fields", list(self.default_fields)))
        if type(fields) is not list or not all(type(f) is str and FIELD_NAME.fullmatch(f) for f in fields):
            raise ConfigError(f"module {self.id!r}: config.requiredFields must be a list of field names")
        self.required_fields = tuple(fields)
        self.filter_fields = self.required_fields

    def before_append(self, record: dict[str, Any], context: RequestContext | None) -> dict[str, Any] | None:
        if record["stream"] != self.stream:
            return None
        payload = record["payload"]
        if type(payload) is not dict:
            raise ModuleRejected(f"records in stream {self.stream!r} need an object payload")
        missing = [f for f in self.required_fields if type(payload.get(f)) is not str or not payload[f]]
        if missing:
            raise ModuleRejected(
                f"records in stream {self.stream!r} need non-empty string payload field(s) {', '.join(missing)}",
                details={"missing": missing},
            )
        return None

    def query_conditions(self, filter: dict[str, Any]) -> list[tuple[str, Any]]:
        unknown = [f for f in filter if f not in self.required_fields]
        if unknown:
            raise ArgumentError(
                f"module {self.id!r} filters by {', '.join(self.required_fields)}; not by {', '.join(unknown)}"
            )
        return list(filter.items())


class ProofModule(StreamFieldsModule):
    """Proofs: records in stream ``proofs`` (configurable) need ``subject_oid`` and ``issuer_oid``."""

    id = "proof"
    default_stream = "proofs"
    default_fields = ("subject_oid", "issuer_oid")


class AssetModule(StreamFieldsModule):
    """Assets: records in stream ``assets`` (configurable) need ``owner_oid``."""

    id = "asset"
    default_stream = "assets"
    default_fields = ("owner_oid",)


BUILTIN_MODULES: dict[str, type[Module]] = {"proof": ProofModule, "asset": AssetModule}


def module_from_config(spec: Any) -> Module:
    """A module instance from a ``Module`` or a ``{id, version?, config?}`` object naming a built-in."""
    if isinstance(spec, Module):
        return spec
    if type(spec) is not dict or type(spec.get("id")) is not str:
        raise ConfigError(f"a module is a nucleus.Module or {{id, version, config}}, got {spec!r}")
    unknown = set(spec) - {"id", "version", "config"}
    if unknown:
        raise ConfigError(f"module {spec['id']!r}: unknown key(s) {sorted(unknown)}")
    cls = BUILTIN_MODULES.get(spec["id"])
    if cls is None:
        raise ConfigError(
            f"unknown module {spec['id']!r}; built-in modules are {', '.join(BUILTIN_MODULES)} "
            "(custom modules are Python classes, see docs/ENGINE.md, Modules)"
        )
    module = cls(spec.get("config"))
    if spec.get("version") is not None:
        if type(spec["version"]) is not str:
            raise ConfigError(f"module {spec['id']!r}: version must be a string")
        module.version = spec["version"]
    return module
