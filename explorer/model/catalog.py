"""The chip catalog: dies, SKUs, memory technologies; name lookup and SKU metrics."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from explorer.model import metrics as m
from explorer.model.chips import Die, MemoryTechnology, PcieGeneration, Sku
from explorer.model.errors import InputError
from explorer.model.facts import Facts
from explorer.model.names import name_key


@dataclass(frozen=True)
class Catalog:
    dies: dict[str, Die]
    skus: dict[str, Sku]
    memory: dict[str, MemoryTechnology]
    pcie: dict[int, PcieGeneration]

    def design_bases(self) -> list[str]:
        """The dies a search may derive from: package variants included, value references left out."""
        return [d.id for d in self.dies.values() if d.reference_only is None]

    def is_reference_only(self, sku: Sku) -> bool:
        """A value reference (a non-US design): listed for floors and comparisons, never screened."""
        return self.dies[sku.die].reference_only is not None

    def find_sku(self, text: str) -> Sku:
        """The SKU whose id, name or alias matches; a die name gets a pointed error."""
        wanted = name_key(text)
        for sku in self.skus.values():
            if wanted in {name_key(n) for n in (sku.id, sku.name, *sku.aliases)}:
                return sku
        for die in self.dies.values():
            if wanted in {name_key(n) for n in (die.id, die.name, *die.aliases)}:
                children = ", ".join(s.id for s in self.skus.values() if s.die == die.id)
                raise InputError("chip", "", text, f"a SKU; {die.id} is a base die, its SKUs are: {children}")
        valid = ", ".join(self.skus)
        raise InputError("chip", "", text, f"a chip in the catalog, one of: {valid}")

    def facts(
        self, sku: Sku, end_user_hq: frozenset[str] | None = None, end_user: str | None = None
    ) -> Facts:
        """What rules may know of a catalog SKU besides its metrics, and of its buyer."""
        die = self.dies[sku.die]
        since = sku.us_available.since if sku.us_available else None
        return Facts(die.vendor, die.family, sku.id, since, end_user_hq, end_user)

    def metrics_of_design(self, design, die: Die) -> m.Metrics:
        """Metrics of a search design, measured exactly like a SKU."""
        from explorer.model.space import to_sku

        return self.metrics(to_sku(design, die))

    def metrics(self, sku: Sku) -> m.Metrics:
        """The model's metrics for a SKU: its die evaluated at the SKU's knob values."""
        die = self.dies[sku.die]
        tech = self.memory[sku.memory.technology]
        pcie = self.pcie[die.pcie_generation].gbps_per_lane_per_direction.value
        rates = {k: q.value for k, q in sku.rate_limits.items()}
        throughput = m.dense_tflops(die, sku.units_enabled.value, sku.clock_mhz.value, rates)
        tpp = m.tpp(throughput)
        area = m.applicable_die_area_mm2(die)
        return m.Metrics(
            tpp=tpp,
            performance_density=m.performance_density(tpp, area),
            memory_bandwidth_gbps=m.memory_bandwidth_gbps(sku, tech),
            memory_gb=m.memory_gb(sku, tech),
            memory_type=tech.title,
            memory_bandwidth_density=m.memory_bandwidth_density(sku, tech),
            io_bidirectional_gbps=m.io_bidirectional_gbps(sku, die, pcie),
            link_bidirectional_gbps=m.link_bidirectional_gbps(sku),
            die_area_mm2=area,
            datacenter=sku.datacenter,
            power_w=sku.power_limit_w.value,
            dense_tflops=throughput,
            fp32_accumulate_rate=sku.fp32_accumulate_rate.value if sku.fp32_accumulate_rate else Fraction(1),
            power_share=m.power_share(sku, die),
        )
