export default class Card {}
