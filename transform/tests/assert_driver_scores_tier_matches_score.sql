-- Scores stay within 0–100 and the tier follows the score as driver_scores' description says.
select driver_id, score, tier, recent_trips
from {{ ref('driver_scores') }}
where score > 100
    or tier != multiIf(recent_trips = 0, 'inactive', score >= 80, 'gold', score >= 60, 'silver', 'bronze')
