"""Quantizers, architectures and decoding orders register themselves where they are
defined, in one style; the names a file or checkpoint uses are the registered ones."""
from __future__ import annotations

import pytest

from lvqac_core.models import ARCHITECTURES, build_model
from lvqac_core.bitstream import QUANTIZERS
from lvqac_core.quantizers import build_quantizer
from lvqac_core.registry import ARCHITECTURE_REGISTRY, QUANTIZER_REGISTRY, Registry


def test_file_quantizers_are_the_registered_ones_in_header_order():
    assert QUANTIZERS == ("scalar", "lvq", "lvqac")  # the header byte indexes this tuple: never reorder
    assert set(QUANTIZER_REGISTRY) == set(QUANTIZERS)
    for name in QUANTIZERS:
        q = build_quantizer(name, 8, 4)
        assert isinstance(q, QUANTIZER_REGISTRY.get(name))


def test_unknown_quantizer_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown quantizer 'vq'.*lvqac"):
        build_quantizer("vq", 8)


def test_architectures_are_backbone_plus_decoding_order():
    assert ARCHITECTURES is ARCHITECTURE_REGISTRY
    for name in ARCHITECTURES:
        spec = ARCHITECTURES.get(name)
        assert spec.name == name and spec.backbone in ("minnen", "cheng")
        assert spec.decoding_order in ("parallel", "checkerboard", "raster-scan")
    model = build_model(architecture="cheng2020-ckbd", quantizer="scalar", N=8, M=12)
    assert model.config.spec.transforms.__name__ == "cheng_transforms"


@pytest.mark.parametrize("registry", [QUANTIZER_REGISTRY, ARCHITECTURE_REGISTRY])
def test_registering_a_taken_name_fails(registry):
    taken = registry.names()[0]
    before = registry.get(taken)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(taken)(object())
    assert registry.get(taken) is before  # the first registration stands


def test_registry_lookup_names_the_known_entries():
    reg: Registry = Registry("widget")
    reg.register("a")(1)
    with pytest.raises(KeyError, match="unknown widget 'b'; known: a"):
        reg.get("b")
