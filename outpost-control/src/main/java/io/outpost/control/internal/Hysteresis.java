package io.outpost.control.internal;

import io.outpost.core.region.RegionHealth;

/**
 * One monitor's verdict on one region from its probes: a region that served counts as DOWN only
 * after {@code failuresToDown} failed probes in a row, and a DOWN region serves again only after
 * {@code successesToUp} good probes in a row. Between UP and DEGRADED (both serve queries) the
 * verdict follows the latest probe at once. Before its first verdict a region is UNKNOWN: a good
 * probe gives one at once, failures only after {@code failuresToDown} of them.
 *
 * <p>Thread confinement: one probe of a region runs at a time (the monitor's schedule).
 */
public final class Hysteresis {

    private final int failuresToDown;
    private final int successesToUp;
    private RegionHealth verdict = RegionHealth.UNKNOWN;
    private int failures;
    private int successes;

    public Hysteresis(int failuresToDown, int successesToUp) {
        if (failuresToDown < 1 || successesToUp < 1) {
            throw new IllegalArgumentException("failuresToDown and successesToUp must be at least 1, but were "
                    + failuresToDown + " and " + successesToUp);
        }
        this.failuresToDown = failuresToDown;
        this.successesToUp = successesToUp;
    }

    /**
     * Takes a probe's outcome and returns the verdict after it.
     *
     * @param probed UP, DEGRADED or DOWN (a failed probe)
     */
    public RegionHealth next(RegionHealth probed) {
        if (probed == RegionHealth.DOWN) {
            successes = 0;
            failures++;
            if (failures >= failuresToDown) {
                verdict = RegionHealth.DOWN;
            }
        } else {
            failures = 0;
            successes++;
            if (verdict != RegionHealth.DOWN || successes >= successesToUp) {
                verdict = probed;
            }
        }
        return verdict;
    }

    public RegionHealth verdict() {
        return verdict;
    }

    /**
     * How far the latest probe is from turning the verdict, in words, when it disagrees with it
     * ("failure 1 of 3 before DOWN"); empty when they agree.
     */
    public String pending(RegionHealth probed) {
        if (probed == RegionHealth.DOWN && verdict != RegionHealth.DOWN) {
            return "failure " + failures + " of " + failuresToDown + " before DOWN";
        }
        if (probed != RegionHealth.DOWN && verdict == RegionHealth.DOWN) {
            return "good probe " + successes + " of " + successesToUp + " before " + probed;
        }
        return "";
    }
}
