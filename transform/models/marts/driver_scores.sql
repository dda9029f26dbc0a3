{{
    config(
        engine='MergeTree()',
        order_by='(driver_id)'
    )
}}

-- One row per driver who ever finished a trip: a 0–100 score over a recent window and a tier, for the
-- reverse-ETL sync into the operational `drivers` table. The window is the last `scoring_window_days`
-- days up to the newest trip day in driver_daily (not today), so the same data always scores the same.
--
-- score = 40 × activity + 30 × productivity + 20 × tipping + 10 × quality, rounded, where
--   activity     = recent trips ÷ the fleet's 90th-percentile recent trips, capped at 1
--   productivity = recent earnings per hour driven ÷ the fleet's 90th percentile of it, capped at 1
--   tipping      = recent tips ÷ recent fares ÷ 0.20 (a 20 % tip share earns full points), capped at 1
--   quality      = share of recent trips without a cleaning flag
-- Percentiles are exact (quantileExact) over drivers with a trip in the window.
-- tier: gold ≥ 80, silver ≥ 60, bronze below, inactive with no trip in the window (score 0).
with bounds as (
    select
        max(trip_date) as window_end,
        max(trip_date) - {{ var('scoring_window_days') }} + 1 as window_start
    from {{ ref('driver_daily') }}
),

lifetime as (
    select driver_id, sum(trips) as lifetime_trips, max(trip_date) as last_trip_date
    from {{ ref('driver_daily') }}
    group by driver_id
),

recent as (
    -- Named apart from driver_daily's columns: a ClickHouse alias is visible in the whole query.
    select
        driver_id,
        sum(trips) as window_trips,
        sum(flagged_trips) as window_flagged_trips,
        sum(fares) as window_fares,
        sum(tips) as window_tips,
        sum(fares) + sum(tips) as window_earnings,
        toFloat64(sum({{ exact('hours_driven') }})) as window_hours_driven
    from {{ ref('driver_daily') }}
    where trip_date >= (select window_start from bounds)
    group by driver_id
),

fleet as (
    select
        quantileExact(0.9)(window_trips) as p90_trips,
        quantileExact(0.9)({{ safe_divide('window_earnings', 'window_hours_driven') }}) as p90_earnings_per_hour
    from recent
),

components as (
    select
        lifetime.driver_id as driver_id,
        lifetime.lifetime_trips as lifetime_trips,
        lifetime.last_trip_date as last_trip_date,
        coalesce(recent.window_trips, 0) as recent_trips,
        {{ money('coalesce(recent.window_earnings, 0)') }} as recent_earnings,
        {{ money('coalesce(recent.window_tips, 0)') }} as recent_tips,
        round(coalesce(recent.window_hours_driven, 0), 2) as recent_hours_driven,
        least(coalesce({{ safe_divide('recent.window_trips', 'fleet.p90_trips') }}, 0), 1) as activity,
        least(coalesce({{ safe_divide(safe_divide('recent.window_earnings', 'recent.window_hours_driven'), 'fleet.p90_earnings_per_hour') }}, 0), 1)
            as productivity,
        least(coalesce({{ safe_divide('recent.window_tips', 'recent.window_fares') }} / 0.20, 0), 1) as tipping,
        if(recent.window_trips > 0, 1 - recent.window_flagged_trips / recent.window_trips, 0) as quality
    from lifetime
    left join recent on recent.driver_id = lifetime.driver_id
    cross join fleet
)

select
    driver_id,
    toUInt8(round(40 * activity + 30 * productivity + 20 * tipping + 10 * quality)) as score,
    multiIf(recent_trips = 0, 'inactive', score >= 80, 'gold', score >= 60, 'silver', 'bronze') as tier,
    row_number() over (order by score desc, recent_earnings desc, driver_id) as fleet_rank,
    recent_trips,
    recent_earnings,
    recent_tips,
    recent_hours_driven,
    lifetime_trips,
    last_trip_date,
    round(activity, 4) as activity_component,
    round(productivity, 4) as productivity_component,
    round(tipping, 4) as tipping_component,
    round(quality, 4) as quality_component,
    (select window_start from bounds) as window_start,
    (select window_end from bounds) as window_end,
    toUInt16({{ var('scoring_window_days') }}) as window_days
from components
