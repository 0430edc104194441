window.util = 1;
