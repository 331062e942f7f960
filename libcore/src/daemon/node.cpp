// Placeholder so the module builds while node.cpp is being written.
