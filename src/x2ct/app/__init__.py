"""``x2ct app``: a local web page that reconstructs a spine from two radiographs.

A top layer like the command line: it calls the functions the CLI calls
(``x2ct.inference.reconstruct.reconstruct``, ``x2ct.inference.inputs.prepare_views``) and only
displays what they write. ``examples`` lists the bundled example pairs (no web dependency);
``work`` runs one request in its own temporary folder; ``display`` turns volumes into slices,
crop previews and a coloured 3D surface; ``page`` builds the gradio page (the optional extra
``x2ct[app]``).
"""
