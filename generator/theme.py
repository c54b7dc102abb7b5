"""Themes: find the active theme and its parents, and list template folders in lookup order.

Lookup order: the site's own `templates/`, then the theme, then the theme it extends (`theme.toml`:
`extends = "default"`), and so on. A theme is looked for in the site's `themes/<name>/`, then among the
themes that ship inside the package (or beside it, in a source checkout).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from generator.errors import GivingError, error

PACKAGED = Path(__file__).parent / "themes"
CHECKOUT = Path(__file__).parent.parent / "themes"


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme folder of the chain."""

    name: str
    root: Path
    label: str  # how findings name it: "themes/default" for a site's own, "theme default" when bundled

    @property
    def bundled(self) -> bool:
        """One of the themes that come with giving (not a site's own themes/<name>/)."""
        return self.root.parent in (PACKAGED, CHECKOUT)


@dataclass(frozen=True, slots=True)
class ThemeChain:
    """The themes a site renders with (the active one first, then those it extends), and its own
    templates folder."""

    themes: tuple[Theme, ...]  # active theme first
    site_templates: Path

    @property
    def template_dirs(self) -> list[Path]:
        dirs = [self.site_templates] if self.site_templates.is_dir() else []
        return dirs + [t.root / "templates" for t in self.themes if (t.root / "templates").is_dir()]

    @property
    def static_dirs(self) -> list[Path]:
        """Parents last, so a child's file of the same name wins when copied in order."""
        return [t.root / "static" for t in reversed(self.themes) if (t.root / "static").is_dir()]

    def display(self, filename: str, site_root: Path) -> str:
        """A template's path as findings show it: relative to the site, or labelled as bundled."""
        path = Path(filename).resolve()
        try:
            return path.relative_to(site_root.resolve()).as_posix()
        except ValueError:
            for theme in self.themes:
                try:
                    return f"{theme.label}/{path.relative_to(theme.root.resolve()).as_posix()}"
                except ValueError:
                    continue
        return path.name


def find_theme(name: str, site_root: Path) -> Theme | None:
    own = site_root / "themes" / name
    if own.is_dir():
        return Theme(name, own, f"themes/{name}")
    for base in (PACKAGED, CHECKOUT):
        if (base / name).is_dir():
            return Theme(name, base / name, f"themes/{name}")
    return None


def load_chain(name: str, site_root: Path, config_line: int = 0) -> ThemeChain:
    themes: list[Theme] = []
    current: str | None = name
    while current:
        if any(t.name == current for t in themes):
            raise GivingError([error(f'theme "{current}" extends itself in a loop', "site.toml", config_line,
                                     "theme")])
        theme = find_theme(current, site_root)
        if theme is None:
            where = "site.toml" if not themes else f"{themes[-1].label}/theme.toml"
            raise GivingError([error(f'theme "{current}" not found; put it in themes/{current}/ or use '
                                     'theme = "default"', where, config_line if not themes else 1, "theme")])
        themes.append(theme)
        manifest = theme.root / "theme.toml"
        current = None
        if manifest.is_file():
            try:
                current = tomllib.loads(manifest.read_text("utf-8")).get("extends")
            except tomllib.TOMLDecodeError as exc:
                raise GivingError([error(f"not valid TOML: {exc}", f"{theme.label}/theme.toml", 1, "theme")])
    return ThemeChain(tuple(themes), site_root / "templates")
