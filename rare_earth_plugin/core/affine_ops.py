"""Affine geotransform arithmetic that works on affine 2.x (Debian 12: no ``@``) and 3.x (``*`` deprecated)."""

from __future__ import annotations

from typing import Any

from rasterio.transform import Affine


def apply(transform: Affine, x: Any, y: Any) -> tuple[Any, Any]:
    """``transform`` applied to coordinates (numbers or numpy arrays), written out so no operator is needed."""
    return (transform.a * x + transform.b * y + transform.c, transform.d * x + transform.e * y + transform.f)


def compose(first: Affine, second: Affine) -> Affine:
    """``first`` after ``second``: ``first @ second`` where affine has it, ``first * second`` before."""
    if hasattr(Affine, "__matmul__"):
        return first @ second
    return first * second  # affine < 3.0
