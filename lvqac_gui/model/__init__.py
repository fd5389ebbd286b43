"""The Qt-free model of LVQAC Studio: session state and events (:mod:`.state`, :mod:`.events`),
the bridge to ``lvqac_core`` (:mod:`.backend`), map rendering (:mod:`.maps`), export (:mod:`.export`)
and classical codecs at a matched size (:mod:`.classical`). Nothing here imports Qt; it is tested
headless."""
