"""Execution: CPU state, translation blocks, the TB cache and its hash table,
the jump cache, the softmmu TLB and the execution loop."""
