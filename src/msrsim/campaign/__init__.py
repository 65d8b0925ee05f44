"""The campaign: the relay's legs planned from the scenario and flown, trial by trial.

``schedule`` plans the dates; each leg module (``launch``, ``edl``, ``surface``,
``ascent``, ``rendezvous``, ``ero``, ``earth_entry``) plans its coupled leg once per
scenario and flies it per trial (``chain``); ``plan`` gathers them; ``nominal`` flies the
nominal relay for the timeline and the checks; ``runner`` caches both and runs the trials
(``execution``). ``outcomes`` holds what the legs report. Nothing here imports the package
itself: modules import one another, downwards.
"""
