export default class Card { x = 1; }
