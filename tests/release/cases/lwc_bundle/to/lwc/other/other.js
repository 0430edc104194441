export default class Other {}
