"""The pure core: commands become events, events fold into state. No I/O, no awaits."""
